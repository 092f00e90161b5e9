/** The shapes of Azure OpenAI's path parameters, shared by the profile's checks and the path builder. */

/** A deployment name: letters, digits, `-`, `_` and `.`, never a path step. */
export const AZURE_DEPLOYMENT_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** An inference api-version: `2024-10-21`, `2025-04-01-preview`. */
export const AZURE_API_VERSION_RE = /^\d{4}-\d{2}-\d{2}(-preview)?$/;
