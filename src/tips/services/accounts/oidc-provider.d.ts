// oidc-provider (a devDependency, used only by the loopback login test) ships no types.
declare module 'oidc-provider';
