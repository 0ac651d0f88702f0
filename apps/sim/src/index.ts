/** The simulated Hydra: data models (scripted and generated) and the HTTP server. */
export * from './model.ts';
export * from './script.ts';
export * from './generator.ts';
export * from './server.ts';
export * from './serve-local.ts';
export * from './build-page-html.ts';
export * from './instance.ts';
export * from './packages-json.ts';
export * from './github.ts';
