// Asks for a demo user's token, keeps it where the pages look for it and
// goes back to the page that sent the user here.
for (const button of document.querySelectorAll('button[data-subject]')) {
  button.addEventListener('click', async () => {
    button.disabled = true;
    const res = await fetch('/dev/sign-in', { method: 'POST', body: JSON.stringify({ subject: button.dataset.subject }) });
    if (!res.ok) {
      document.getElementById('status').textContent = 'Sign-in failed (' + res.status + ').';
      button.disabled = false;
      return;
    }
    const { token, home } = await res.json();
    sessionStorage.setItem('partnerloop.token', token);
    const back = new URLSearchParams(location.search).get('return') || '';
    const wanted = back.startsWith('/portal') || back.startsWith('/console') ? back : home;
    location.assign(wanted.startsWith(home.slice(0, -1)) ? wanted : home);
  });
}
