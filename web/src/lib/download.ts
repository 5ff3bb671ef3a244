// Saves a Blob as a file through a temporary object URL: how the page downloads what needs its
// Bearer header (a plain link would carry no credential).
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // The download has its own reference to the blob once started.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
