/**
 * Models from the browser: `GET /api/models/<name>` relays `GetModel` (the completed configuration
 * and where each value came from), and `POST /api/model-uploads` takes a `multipart/form-data`
 * upload (fields `name` and `replace`; files `model` (.onnx), optionally `config` (model.yaml)
 * and `labels`) and pushes it to the server with `PushModel`, which checks it, trial-loads it and
 * serves it. The access hook lets only the `admin` role upload. Files are spooled to a temporary
 * folder (bounded by `maxUploadBytes`) because a push declares each file's size and digest before
 * its bytes; the folder is removed whatever happens.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import multipart from '@fastify/multipart';
import { status } from '@grpc/grpc-js';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ModelFilesError, isServiceError, modelPushFiles } from '../../client/index.js';
import { GetModelResponse, PushModelResponse } from '../../gen/ts/sluice/v1/inference_service.js';
import type { SluiceUpstream } from '../upstream/sluice-upstream.js';

/** Path of the upload route (the access hook gives it the admin role). */
export const MODEL_UPLOAD_PATH = '/api/model-uploads';

/** The form's file fields. */
const FILE_FIELDS = ['model', 'config', 'labels'] as const;
type FileField = (typeof FILE_FIELDS)[number];

/** Body of a refused upload or lookup. */
export interface ModelRouteFailure {
  readonly error: { readonly code: 'BAD_UPLOAD' | 'UPLOAD_TOO_LARGE' | 'UPSTREAM_ERROR'; readonly grpcCode?: number; readonly message: string };
}

/** How a refusal of the server reads over HTTP. */
const HTTP_OF: ReadonlyMap<number, number> = new Map([
  [status.INVALID_ARGUMENT, 400],
  [status.FAILED_PRECONDITION, 422],
  [status.DATA_LOSS, 422],
  [status.NOT_FOUND, 404],
  [status.ALREADY_EXISTS, 409],
  [status.ABORTED, 409],
  [status.RESOURCE_EXHAUSTED, 413],
  [status.PERMISSION_DENIED, 403],
  [status.UNAUTHENTICATED, 401],
  [status.UNAVAILABLE, 503],
]);

function failure(reply: FastifyReply, err: unknown): ModelRouteFailure {
  if (isServiceError(err)) {
    reply.code(HTTP_OF.get(err.code) ?? 502);
    return { error: { code: 'UPSTREAM_ERROR', grpcCode: err.code, message: err.details } };
  }
  reply.code(502);
  reply.log.error({ err }, 'model call failed');
  return { error: { code: 'UPSTREAM_ERROR', message: 'the bridge could not reach the server' } };
}

export async function registerModelRoutes(app: FastifyInstance, upstream: SluiceUpstream, maxUploadBytes: number): Promise<void> {
  await app.register(multipart, { limits: { fileSize: maxUploadBytes, files: FILE_FIELDS.length, fields: 4, fieldSize: 1024, parts: 8 } });

  app.get<{ Params: { name: string } }>('/api/models/:name', async (request, reply) => {
    try {
      return { sources: [], ...(GetModelResponse.toJSON(await upstream.getModel(request.params.name)) as object) };
    } catch (err: unknown) {
      return failure(reply, err);
    }
  });

  app.post(MODEL_UPLOAD_PATH, async (request, reply) => {
    if (!request.isMultipart()) {
      reply.code(400);
      return { error: { code: 'BAD_UPLOAD', message: 'send multipart/form-data with a model file' } } satisfies ModelRouteFailure;
    }
    const dir = await mkdtemp(join(tmpdir(), 'sluice-upload-'));
    try {
      const fields = new Map<string, string>();
      const files = new Map<FileField, { path: string; filename: string }>();
      let spooled = 0;
      for await (const part of request.parts()) {
        if (part.type === 'field') {
          fields.set(part.fieldname, String(part.value));
          continue;
        }
        const field = part.fieldname as FileField;
        if (!FILE_FIELDS.includes(field) || files.has(field)) {
          part.file.resume();
          reply.code(400);
          return { error: { code: 'BAD_UPLOAD', message: `unexpected file field ${JSON.stringify(part.fieldname)}; send model, and optionally config and labels` } } satisfies ModelRouteFailure;
        }
        const path = join(dir, field);
        await pipeline(part.file, createWriteStream(path));
        spooled += part.file.bytesRead;
        if (part.file.truncated || spooled > maxUploadBytes) {
          reply.code(413);
          return { error: { code: 'UPLOAD_TOO_LARGE', message: `an upload may bring at most ${maxUploadBytes} bytes` } } satisfies ModelRouteFailure;
        }
        files.set(field, { path, filename: part.filename });
      }
      const model = files.get('model');
      if (model === undefined) {
        reply.code(400);
        return { error: { code: 'BAD_UPLOAD', message: 'the form has no model file' } } satisfies ModelRouteFailure;
      }
      const name = fields.get('name')?.trim() || model.filename.replace(/\.onnx$/, '');
      let toPush;
      try {
        toPush = await modelPushFiles({
          name,
          onnx: model.path,
          config: files.get('config')?.path,
          labels: files.get('labels')?.path,
          describe: { onnx: model.filename, config: files.get('config')?.filename ?? 'config', labels: files.get('labels')?.filename ?? 'labels' },
        });
      } catch (err: unknown) {
        if (!(err instanceof ModelFilesError)) throw err;
        reply.code(400);
        return { error: { code: 'BAD_UPLOAD', message: err.message } } satisfies ModelRouteFailure;
      }
      try {
        const pushed = await upstream.pushModel(name, toPush, { replace: fields.get('replace') === 'true' });
        const described = await upstream.getModel(name);
        return { ...(PushModelResponse.toJSON(pushed) as object), sources: (GetModelResponse.toJSON(described) as { sources?: unknown[] }).sources ?? [] };
      } catch (err: unknown) {
        return failure(reply, err);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}
