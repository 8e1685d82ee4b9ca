/**
 * `GET /` and the viewer's assets, served from the esbuild bundle in `publicDir`. When the bundle
 * is missing the page says how to build it instead of answering 404.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

export async function registerViewerRoutes(app: FastifyInstance, publicDir: string): Promise<void> {
  if (!existsSync(join(publicDir, 'index.html'))) {
    app.log.warn({ publicDir }, 'viewer not built: run npm run build:viewer');
    app.get('/', async (_request, reply) =>
      reply.code(503).type('text/plain; charset=utf-8').send(`The viewer is not built (no index.html in ${publicDir}): run npm run build:viewer.\n`),
    );
    return;
  }
  await app.register(fastifyStatic, { root: publicDir, index: ['index.html'] });
}
