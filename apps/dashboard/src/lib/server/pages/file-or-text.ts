// Forms that take a JSON file either chosen (`file`) or pasted (`text`): check's report.json,
// preflight's changed-paths.json.
const MAX_UPLOAD = 5 * 1024 * 1024;

/** The chosen file's text if there is one, else the pasted text, trimmed; null when the file is over MAX_UPLOAD. */
export async function fileOrText(form: FormData): Promise<string | null> {
  const file = form.get('file');
  if (file instanceof File && file.size > 0) return file.size > MAX_UPLOAD ? null : (await file.text()).trim();
  return String(form.get('text') ?? '').trim();
}
