/**
 * The maintainer page's two groups (SPEC section 9): the week's news first, then the backlog.
 * A breakage that was already failing when zhf began tracking its jobset (`preexisting`) is
 * backlog even when its first eval is this week's, as the fix list and the header's
 * "new this week" count it.
 */
export function maintainerGroups<B extends { week: string; preexisting: boolean }>(items: B[], week: string): { thisWeek: B[]; earlier: B[] } {
  const isNews = (b: B) => b.week === week && !b.preexisting;
  return { thisWeek: items.filter(isNews), earlier: items.filter((b) => !isNews(b)) };
}
