// `project/jobset`: how the configuration, the command line, the API and the services name a
// jobset. One pattern for all of them, so what one accepts the others accept.

export const JOBSET_REF = /^([A-Za-z0-9_.-]{1,100})\/([A-Za-z0-9_.-]{1,100})$/;

/** `[project, jobset]`, or null when `ref` is not a `project/jobset` reference. */
export function splitJobsetRef(ref: string): [string, string] | null {
  const m = JOBSET_REF.exec(ref);
  return m ? [m[1]!, m[2]!] : null;
}
