// The colour scheme a person chose on this browser (localStorage), else the system's (prefers-color-scheme).
// Written here: a two-line preference store is not worth a package.
const key = 'refineweb-theme';

export function prefersDark() {
  const saved = localStorage.getItem(key);
  if (saved === 'dark' || saved === 'light') return saved === 'dark';
  return window.matchMedia('(prefers-color-scheme: dark)').matches;
}

export function save(dark) {
  localStorage.setItem(key, dark ? 'dark' : 'light');
}
