// "Is commit X in revision R?", answered by GitHub or by a local clone. Either can be swapped
// for the other (or a fake in tests); the eval search only needs this one question.

export interface AncestryOracle {
  /** Which backend answers (shown in API answers). */
  readonly name?: string;
  /** True when `commit` is `of` or an ancestor of it; false when not; null when `commit` is unknown. */
  isAncestor(commit: string, of: string): Promise<boolean | null>;
}
