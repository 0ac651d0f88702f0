// Ancestry from a local nixpkgs clone (ZHF_NIXPKGS_GIT): `git merge-base --is-ancestor`.

import { execFile } from 'node:child_process';
import { Upstream } from '../errors.ts';
import type { AncestryOracle } from './oracle.ts';

const SHA = /^[0-9a-f]{4,40}$/i;

interface GitResult {
  code: number;
  stderr: string;
}

function git(repoPath: string, args: string[]): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    execFile('git', ['-C', repoPath, ...args], { timeout: 30_000 }, (err, _stdout, stderr) => {
      if (!err) return resolve({ code: 0, stderr });
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'number') return resolve({ code, stderr });
      reject(new Upstream(`git in ${repoPath} could not run: ${err.message}`));
    });
  });
}

/**
 * Exit 0: ancestor; 1: not; 128: an object is missing. Then a second look tells an unknown
 * `commit` (null) from a clone that lacks the eval's revision (an error asking to fetch).
 * Inputs are checked to be hex first, so they can never be read as git options.
 */
export function gitOracle(repoPath: string): AncestryOracle {
  return {
    name: 'git',
    async isAncestor(commit, of) {
      if (!SHA.test(commit) || !SHA.test(of)) return null;
      const r = await git(repoPath, ['merge-base', '--is-ancestor', commit, of]);
      if (r.code === 0) return true;
      if (r.code === 1) return false;
      if (r.code === 128) {
        const known = await git(repoPath, ['cat-file', '-e', `${commit}^{commit}`]);
        if (known.code !== 0) return null;
        throw new Upstream(`the nixpkgs clone at ${repoPath} does not have revision ${of}: run git fetch there`);
      }
      throw new Upstream(`git merge-base in ${repoPath} failed (exit ${r.code}): ${r.stderr.trim()}`);
    },
  };
}
