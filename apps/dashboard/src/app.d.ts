// See https://svelte.dev/docs/kit/types#app.d.ts
declare global {
  namespace App {
    interface Error {
      message: string;
      code?: string;
    }
    interface Locals {
      user: { id: number; login: string; csrf: string; maintainer: boolean } | null;
    }
  }
}

export {};
