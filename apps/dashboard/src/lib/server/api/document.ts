import type { ApiApp } from './route.ts';

// The OpenAPI 3.1 document of the API, generated from the routes' zod declarations
// (route.ts); test/api/openapi.test.ts checks that every route is in it and that real answers
// parse with the declared schemas.

/** The document of `app` (the whole API: `/api`, `/auth`, feeds and ops), served at `serverUrl`. */
export function describeApi(app: ApiApp, serverUrl = '/') {
  return app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: { title: 'zhf', version: '0.1.0', description: 'Zero Hydra Failures: verdicts, breakages and claims. Errors are `{error: {code, message}}`.' },
    servers: [{ url: serverUrl }],
  });
}

/** The session cookie that `security: [{ session: [] }]` entries name. */
export function declareSession(app: ApiApp): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'session', {
    type: 'apiKey', in: 'cookie', name: 'zhf_session', description: 'writes also need x-csrf-token (from GET /api/me)',
  });
}
