/** jose, loaded with the first key set or token: a gateway without auth.jwt never pays for it (startup, idle memory). */
let joseModule: Promise<typeof import('jose')> | undefined;

export function loadJose(): Promise<typeof import('jose')> {
  joseModule ??= import('jose');
  return joseModule;
}
