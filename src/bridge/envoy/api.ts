/**
 * The Kubernetes API names the bridge reads and writes: Envoy AI Gateway v1.1.0, Envoy Gateway v1.8.1 and
 * Gateway API v1.5.1 (the versions the CRD validation tests check against). One place, so export and import agree.
 */

export const AIGW_API = 'aigateway.envoyproxy.io/v1beta1';
export const EG_API = 'gateway.envoyproxy.io/v1alpha1';
export const GATEWAY_API = 'gateway.networking.k8s.io/v1';
export const GATEWAY_GROUP = 'gateway.networking.k8s.io';
export const EG_GROUP = 'gateway.envoyproxy.io';
export const AIGW_GROUP = 'aigateway.envoyproxy.io';

/**
 * The apiVersions the cluster serves for each kind the import reads or names (the CRDs of the versions above; core
 * kinds at v1). An object of another group or version is refused by `kubectl apply` ("no matches for kind"), which
 * applies the rest: the cluster runs without it.
 */
export const SERVED_VERSIONS: Readonly<Record<string, readonly string[]>> = {
  AIGatewayRoute: [`${AIGW_GROUP}/v1beta1`, `${AIGW_GROUP}/v1alpha1`],
  AIServiceBackend: [`${AIGW_GROUP}/v1beta1`, `${AIGW_GROUP}/v1alpha1`],
  BackendSecurityPolicy: [`${AIGW_GROUP}/v1beta1`, `${AIGW_GROUP}/v1alpha1`],
  QuotaPolicy: [`${AIGW_GROUP}/v1alpha1`],
  Backend: [EG_API],
  BackendTrafficPolicy: [EG_API],
  ClientTrafficPolicy: [EG_API],
  SecurityPolicy: [EG_API],
  EnvoyProxy: [EG_API],
  Gateway: [GATEWAY_API, `${GATEWAY_GROUP}/v1beta1`],
  GatewayClass: [GATEWAY_API, `${GATEWAY_GROUP}/v1beta1`],
  HTTPRoute: [GATEWAY_API, `${GATEWAY_GROUP}/v1beta1`],
  BackendTLSPolicy: [GATEWAY_API, `${GATEWAY_GROUP}/v1alpha3`],
  Secret: ['v1'],
  Service: ['v1'],
  ConfigMap: ['v1'],
};

/** Envoy Gateway's controller: a GatewayClass naming it is served by Envoy Gateway. */
export const EG_CONTROLLER = 'gateway.envoyproxy.io/gatewayclass-controller';

/** The header Envoy AI Gateway copies the body's `model` into, and routes on. */
export const MODEL_HEADER = 'x-ai-eg-model';

/** The dynamic-metadata namespace where Envoy AI Gateway stores llmRequestCosts. */
export const COST_NAMESPACE = 'io.envoy.ai_gateway';

/** Envoy Gateway's default connection buffer (bytes) when no ClientTrafficPolicy sets one. */
export const EG_DEFAULT_BUFFER = 32 * 1024;

/**
 * The largest connection buffer Envoy Gateway takes: it reads `bufferLimit` into a uint32 and refuses a policy past it
 * ("out of range") though the CRD's pattern admits any quantity — `4Gi` is one byte over. Refused, the policy is not
 * applied and the Gateway keeps EG_DEFAULT_BUFFER: every prompt over 32Ki a 413, every longer answer a 500.
 */
export const MAX_BUFFER_LIMIT = 4_294_967_295;

/** Envoy AI Gateway's route timeout when a rule sets none (the whole response, streams included). */
export const AIGW_DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

/** Envoy Gateway's default connect timeout (BackendTrafficPolicy timeout.tcp.connectTimeout). */
export const EG_DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** Envoy's HTTP connection manager stream idle timeout when nothing sets one. */
export const ENVOY_DEFAULT_STREAM_IDLE_MS = 300_000;

/** A passive health check's defaults (the BackendTrafficPolicy CRD): consecutive5XxErrors and baseEjectionTime. */
export const EG_DEFAULT_PASSIVE_ERRORS = 5;
export const EG_DEFAULT_EJECTION_MS = 30_000;

/**
 * The CRDs' bounds on a header list — an AIGatewayRoute match's headers (the model's own among them) and an
 * AIServiceBackend's headerMutation.set — and on each name and value there. Past them `kubectl apply` refuses the whole object.
 */
export const MAX_HEADERS = 16;
export const MAX_HEADER_VALUE = 4096;
export const MAX_HEADER_NAME = 256;

/** The header Envoy Gateway's apiKeyAuth fills with the client id, which the rate-limit rules key on. */
export const TENANT_HEADER = 'x-aigw-tenant';

/** The spec keys each imported kind has in the v1.1.0 / v1.8.1 CRDs: anything else is pruned by the cluster. */
export const SPEC_KEYS: Record<string, readonly string[]> = {
  AIGatewayRoute: ['hostnames', 'llmRequestCosts', 'parentRefs', 'rules'],
  AIServiceBackend: ['backendRef', 'bodyMutation', 'headerMutation', 'schema'],
  BackendSecurityPolicy: [
    'anthropicAPIKey',
    'apiKey',
    'awsCredentials',
    'azureAPIKey',
    'azureCredentials',
    'credentialOverride',
    'gcpCredentials',
    'targetRefs',
    'type',
  ],
};
