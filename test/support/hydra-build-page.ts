// What the saved Hydra pages in test/fixtures/hydra-build-page hold, for the tests that read them.

/** The outputs of step 2 of old-dependency-failed.html, the failed glibc build. */
export const OLD_PAGE_GLIBC_OUTPUTS = [
  '/nix/store/b1n2m3q4w5e6r7t8y9u0i1o2p3a4s5d6-glibc-2.39-52',
  '/nix/store/c2v3b4n5m6q7w8e9r0t1y2u3i4o5p6a7-glibc-2.39-52-bin',
  '/nix/store/d3f4g5h6j7k8l9z0x1c2v3b4n5m6q7w8-glibc-2.39-52-dev',
];
