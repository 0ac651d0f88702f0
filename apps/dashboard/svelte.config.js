import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  kit: {
    adapter: adapter({ out: 'build' }),
    // Form posts are checked for a same-origin Origin header (CSRF) by SvelteKit itself.
    csrf: { trustedOrigins: [] },
    // A strict policy: scripts only from this site and the hash of the page's own inline start
    // script (SvelteKit adds it), no framing (claim/release clickjacking), forms post here only.
    // Inline style attributes stay allowed: `style:` directives (chip colours, chart heights).
    csp: {
      mode: 'hash',
      directives: {
        'default-src': ['self'],
        'script-src': ['self'],
        'style-src': ['self'],
        'style-src-attr': ['unsafe-inline'],
        'img-src': ['self', 'data:'],
        'connect-src': ['self'],
        'font-src': ['self'],
        'object-src': ['none'],
        'base-uri': ['self'],
        'form-action': ['self'],
        'frame-ancestors': ['none'],
      },
    },
  },
};

export default config;
