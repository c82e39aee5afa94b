// The console's Team screen (admin): the staff with their roles, a new
// member (the sign-in service sends a temporary password), role changes
// and removal after a confirmation.
import { api } from './session.js';
import { t, dateTime } from './i18n.js';
import { h, render, drawScreen, table, busy, toast, alertBox, errorText, field, showFieldError, clearFieldErrors } from './ui.js';
import { card } from './staffui.js';

const ROLES = ['admin', 'finance', 'manager', 'viewer', 'support'];

// roleBoxes are a checkbox per role; a member's are named with the
// member's name too, so each row's boxes read apart.
function roleBoxes(legend, checked, member) {
  const boxes = ROLES.map((role) => h('input', { type: 'checkbox', value: role, checked: checked.includes(role),
    'aria-label': member ? t('team.roleOf', { role: t('role.' + role), name: member }) : null }));
  const set = h('fieldset', { class: 'stack' }, h('legend', { text: legend }),
    boxes.map((box) => h('label', { class: 'check' }, box, ' ', t('role.' + box.value))));
  return { set, chosen: () => boxes.filter((b) => b.checked).map((b) => b.value) };
}

export async function teamScreen(screen) {
  const { members } = await api('/v1/team');
  const redraw = () => teamScreen(screen);
  const status = h('div', { role: 'status' });
  const fail = (err) => render(status, alertBox(err));
  drawScreen(screen, h('h1', { text: t('console.nav.team') }),
    card(t('team.members'), status, table({
      rows: members, empty: t('team.none'),
      columns: [
        { label: t('common.name'), value: (m) => [m.name, h('div', { class: 'muted', text: m.email })] },
        { label: t('team.roles'), value: (m) => rolesEditor(m, redraw, fail) },
        { label: t('team.since'), value: (m) => dateTime(m.created_at) },
        { label: t('common.actions'), value: (m) => removeButton(m, redraw, fail) },
      ],
    })),
    card(t('team.add'), newMemberForm(redraw)));
}

function rolesEditor(m, redraw, fail) {
  const roles = roleBoxes(t('team.rolesOf', { name: m.name }), m.roles, m.name);
  const save = h('button', { type: 'button', class: 'secondary', text: t('team.saveRoles'), 'aria-label': t('team.saveRolesOf', { name: m.name }) });
  save.addEventListener('click', () => busy(save, async () => {
    try {
      await api('/v1/team/' + encodeURIComponent(m.id), { method: 'PATCH', body: { roles: roles.chosen() } });
      toast(t('common.saved'));
      await redraw();
    } catch (err) { fail(err); }
  }));
  return h('div', {}, roles.set, save);
}

// removeButton asks once more before a member loses access.
function removeButton(m, redraw, fail) {
  const box = h('div', { class: 'stack' });
  const ask = h('button', { type: 'button', class: 'danger', text: t('team.remove'), 'aria-label': t('team.removeMember', { name: m.name }) });
  ask.addEventListener('click', () => {
    const yes = h('button', { type: 'button', class: 'danger', text: t('team.confirmRemove', { name: m.name }) });
    const no = h('button', { type: 'button', class: 'secondary', text: t('team.keep') });
    yes.addEventListener('click', () => busy(yes, async () => {
      try {
        await api('/v1/team/' + encodeURIComponent(m.id), { method: 'DELETE' });
        toast(t('team.removed', { name: m.name }));
        await redraw();
      } catch (err) { render(box, ask); fail(err); }
    }));
    no.addEventListener('click', () => { render(box, ask); ask.focus(); });
    render(box, h('p', { role: 'alert', text: t('team.removeQuestion', { name: m.name }) }), yes, no);
    yes.focus();
  });
  box.append(ask);
  return box;
}

function newMemberForm(redraw) {
  const email = h('input', { type: 'email', required: true, autocomplete: 'off' });
  const name = h('input', { type: 'text', required: true, maxlength: 200, autocomplete: 'off' });
  const roles = roleBoxes(t('team.roles'), ['viewer']);
  const add = h('button', { type: 'submit', text: t('team.addButton') });
  const status = h('div', { role: 'status' });
  const form = h('form', { novalidate: true }, field(t('common.email'), email), field(t('common.name'), name), roles.set,
    h('p', { class: 'muted', text: t('team.addHelp') }), add, status);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearFieldErrors(form);
    status.replaceChildren();
    busy(add, async () => {
      try {
        await api('/v1/team', { method: 'POST', body: { email: email.value.trim(), name: name.value.trim(), roles: roles.chosen() } });
        toast(t('team.added', { name: name.value.trim() }));
        await redraw();
      } catch (err) {
        const target = { email, name }[err.field] || (err.code === 'member_exists' ? email : null);
        if (target) showFieldError(target, errorText(err));
        else render(status, alertBox(err));
      }
    });
  });
  return form;
}
