# Sluice: gRPC inference server. Two stages: the first installs everything, generates the protocol
# code, compiles and assembles the model repository; the second carries only what runs.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY buf.yaml buf.gen.yaml tsconfig.json tsconfig.build.json ./
COPY protos protos
COPY server server
COPY client client
COPY web-bridge web-bridge
COPY models models
RUN npm ci && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules node_modules
COPY --from=build --chown=node:node /app/dist dist
COPY --from=build --chown=node:node /app/protos protos
COPY --from=build --chown=node:node /app/models models
USER node
# gRPC, Prometheus metrics, web bridge.
EXPOSE 50051 9464 8080
HEALTHCHECK --interval=10s --timeout=3s CMD ["node", "dist/client/cli/sluice.js", "health", "--timeout", "2000"]
ENTRYPOINT ["node", "dist/client/cli/sluice.js"]
CMD ["serve", "--host", "0.0.0.0", "--port", "50051", "--metrics-port", "9464", "--models", "/app/models"]
