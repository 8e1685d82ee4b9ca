/**
 * Who may call what: the three roles and the role each RPC needs. A method that is not in the
 * table needs `admin`, so a control RPC added later is closed until it is placed here.
 */

/** What a token may do. */
export type Role = 'infer' | 'watch' | 'admin';

/** Every role, in the order the README lists them. */
export const ROLES: readonly Role[] = Object.freeze(['infer', 'watch', 'admin']);

/** A role, or `authenticated` for calls any valid token may make (server reflection). */
export type Requirement = Role | 'authenticated';

const INFERENCE = '/sluice.v1.InferenceService/';
/** The Open Inference Protocol (KServe v2). */
const KSERVE = '/inference.GRPCInferenceService/';

const REQUIRED: ReadonlyMap<string, Requirement> = new Map<string, Requirement>([
  [`${INFERENCE}Predict`, 'infer'],
  [`${INFERENCE}PredictOne`, 'infer'],
  [`${INFERENCE}ListModels`, 'infer'],
  [`${INFERENCE}GetModel`, 'infer'],
  ['/grpc.health.v1.Health/Check', 'infer'],
  ['/grpc.health.v1.Health/Watch', 'infer'],
  [`${INFERENCE}ListSessions`, 'watch'],
  [`${INFERENCE}Watch`, 'watch'],
  [`${INFERENCE}LoadModel`, 'admin'],
  [`${INFERENCE}UnloadModel`, 'admin'],
  [`${INFERENCE}PushModel`, 'admin'],
  [`${KSERVE}ServerLive`, 'infer'],
  [`${KSERVE}ServerReady`, 'infer'],
  [`${KSERVE}ModelReady`, 'infer'],
  [`${KSERVE}ServerMetadata`, 'infer'],
  [`${KSERVE}ModelMetadata`, 'infer'],
  [`${KSERVE}ModelConfig`, 'infer'],
  [`${KSERVE}ModelInfer`, 'infer'],
  [`${KSERVE}ModelStreamInfer`, 'infer'],
  [`${KSERVE}ModelStatistics`, 'infer'],
  [`${KSERVE}RepositoryIndex`, 'infer'],
  [`${KSERVE}RepositoryModelLoad`, 'admin'],
  [`${KSERVE}RepositoryModelUnload`, 'admin'],
  ['/grpc.reflection.v1.ServerReflection/ServerReflectionInfo', 'authenticated'],
  ['/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo', 'authenticated'],
]);

/** The requirement of a gRPC method given by its path (`/package.Service/Method`). */
export function requirementOf(path: string): Requirement {
  return REQUIRED.get(path) ?? 'admin';
}

/** Whether `value` names a role. */
export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
