// Users, groups, access keys and policies, through the IAM API of the server,
// called as the signed-in principal (IAM refuses what it may not do).

import { iam, field, texts } from './api.js';
import { $, attempt, button, el, form, fragment, link, principalHash, show, status, table } from './dom.js';
import { render } from './main.js';

const date = (node, name) => new Date(field(node, name)).toLocaleString();
const members = (xml, name) => [...xml.querySelectorAll(`${name} > member`)];

/** Runs an IAM `action`, then says `done` and shows the view again. */
const act = (done, action, params) => attempt(async () => {
  await iam(action, params);
  status(done);
  await render(true);
});

const areYouSure = (question, then) => () => { if (confirm(question)) then(); };

export async function showIam(live) {
  show('iam-view');
  const [users, groups, policies] = await Promise.all([
    iam('ListUsers'), iam('ListGroups'), iam('ListPolicies', { Scope: 'Local' }),
  ]);
  if (!live()) return;
  const userRows = members(users, 'Users').map((u) => {
    const name = field(u, 'UserName');
    return [link(name, principalHash('user', name)), date(u, 'CreateDate'),
      button('Delete', `Delete user ${name}`, areYouSure(`Delete the user ${name}?`, () => act(`Deleted user ${name}`, 'DeleteUser', { UserName: name })))];
  });
  const groupRows = members(groups, 'Groups').map((g) => {
    const name = field(g, 'GroupName');
    return [link(name, principalHash('group', name)), date(g, 'CreateDate'),
      button('Delete', `Delete group ${name}`, areYouSure(`Delete the group ${name}?`, () => act(`Deleted group ${name}`, 'DeleteGroup', { GroupName: name })))];
  });
  const policyRows = members(policies, 'Policies').map((p) => {
    const name = field(p, 'PolicyName');
    return [name, field(p, 'Arn'), field(p, 'AttachmentCount'),
      button('Delete', `Delete policy ${name}`, areYouSure(`Delete the policy ${name}?`, () => act(`Deleted policy ${name}`, 'DeletePolicy', { PolicyArn: field(p, 'Arn') })))];
  });
  $('iam').replaceChildren(
    el('h3', { text: 'Users' }),
    form('Create user', [['new-user', 'New user', el('input', { required: '' })]],
      (f) => act(`Created user ${f.elements['new-user'].value}`, 'CreateUser', { UserName: f.elements['new-user'].value.trim() })),
    table('users', 'Users', ['Name', 'Created', ''], userRows, 'No users yet.'),
    el('h3', { text: 'Groups' }),
    form('Create group', [['new-group', 'New group', el('input', { required: '' })]],
      (f) => act(`Created group ${f.elements['new-group'].value}`, 'CreateGroup', { GroupName: f.elements['new-group'].value.trim() })),
    table('groups', 'Groups', ['Name', 'Created', ''], groupRows, 'No groups yet.'),
    el('h3', { text: 'Managed policies' }),
    form('Create policy', [
      ['new-policy', 'New policy name', el('input', { required: '' })],
      ['new-policy-document', 'Policy document (JSON)', el('textarea', { rows: '6', class: 'code', spellcheck: 'false' })],
    ], (f) => act(`Created policy ${f.elements['new-policy'].value}`, 'CreatePolicy', {
      PolicyName: f.elements['new-policy'].value.trim(), PolicyDocument: f.elements['new-policy-document'].value,
    })),
    table('policies', 'Managed policies', ['Name', 'ARN', 'Attachments', ''], policyRows, 'No policies yet.'),
  );
}

/** The IAM parameter and action names of a user or a group. */
const KINDS = {
  user: { param: 'UserName', noun: 'User' },
  group: { param: 'GroupName', noun: 'Group' },
};

export async function showPrincipal(kind, name, live) {
  const k = KINDS[kind];
  if (!k) throw new Error(`No such page: ${kind}`);
  show('principal-view');
  $('principal-title').replaceChildren(link('Users and groups', '#/iam'), ` / ${k.noun} ${name}`);
  const who = { [k.param]: name };
  const parts = await Promise.all([
    kind === 'user' ? accessKeys(name) : fragment(),
    kind === 'user' ? groupsOf(name) : membersOf(name),
    attached(k, who), inline(k, who),
  ]);
  if (!live()) return;
  $('principal').replaceChildren(...parts);
}

async function accessKeys(user) {
  const keys = members(await iam('ListAccessKeys', { UserName: user }), 'AccessKeyMetadata');
  const rows = keys.map((key) => {
    const id = field(key, 'AccessKeyId');
    const active = field(key, 'Status') === 'Active';
    return [id, field(key, 'Status'), date(key, 'CreateDate'), fragment(
      button(active ? 'Deactivate' : 'Activate', `${active ? 'Deactivate' : 'Activate'} key ${id}`,
        () => act(`Key ${id} ${active ? 'deactivated' : 'activated'}`, 'UpdateAccessKey', { UserName: user, AccessKeyId: id, Status: active ? 'Inactive' : 'Active' })),
      ' ',
      button('Delete', `Delete key ${id}`, areYouSure(`Delete the key ${id}?`, () => act(`Deleted key ${id}`, 'DeleteAccessKey', { UserName: user, AccessKeyId: id }))))];
  });
  const secret = el('div', { id: 'new-key', role: 'region', 'aria-label': 'New access key' });
  const create = button('Create access key', `Create an access key for ${user}`, () => attempt(async () => {
    const key = (await iam('CreateAccessKey', { UserName: user })).querySelector('AccessKey');
    await render(true);
    // Shown once: the server keeps the secret sealed and never answers it again.
    $('new-key').replaceChildren(el('p', { text: 'The secret is shown only now: copy it.' }), el('dl', {},
      el('dt', { text: 'Access key' }), el('dd', { text: field(key, 'AccessKeyId') }),
      el('dt', { text: 'Secret key' }), el('dd', { text: field(key, 'SecretAccessKey') })));
    status(`Created key ${field(key, 'AccessKeyId')}`);
  }));
  return fragment(el('h3', { text: 'Access keys' }), create, secret,
    table('access-keys', 'Access keys', ['Access key', 'Status', 'Created', ''], rows, 'No access keys.'));
}

/** A select of `options` ([value, text]) and a button that runs `onPick(value)`. */
function picker(id, label, submit, options, onPick) {
  const select = el('select', {}, ...options.map(([value, text]) => el('option', { value, text })));
  return form(submit, [[id, label, select]], () => { if (select.value) onPick(select.value); });
}

async function groupsOf(user) {
  const [mine, all] = await Promise.all([iam('ListGroupsForUser', { UserName: user }), iam('ListGroups')]);
  const names = texts(mine, 'Groups > member > GroupName');
  const others = texts(all, 'Groups > member > GroupName').filter((g) => !names.includes(g));
  const rows = names.map((g) => [link(g, principalHash('group', g)),
    button('Remove', `Remove ${user} from ${g}`, () => act(`Removed ${user} from ${g}`, 'RemoveUserFromGroup', { UserName: user, GroupName: g }))]);
  return fragment(el('h3', { text: 'Groups' }),
    picker('add-to-group', 'Add to group', 'Add to group', others.map((g) => [g, g]),
      (g) => act(`Added ${user} to ${g}`, 'AddUserToGroup', { UserName: user, GroupName: g })),
    table('member-of', 'Groups', ['Group', ''], rows, 'In no group.'));
}

async function membersOf(group) {
  const [got, all] = await Promise.all([iam('GetGroup', { GroupName: group }), iam('ListUsers')]);
  const names = texts(got, 'Users > member > UserName');
  const others = texts(all, 'Users > member > UserName').filter((u) => !names.includes(u));
  const rows = names.map((u) => [link(u, principalHash('user', u)),
    button('Remove', `Remove ${u} from ${group}`, () => act(`Removed ${u} from ${group}`, 'RemoveUserFromGroup', { UserName: u, GroupName: group }))]);
  return fragment(el('h3', { text: 'Members' }),
    picker('add-member', 'Add user', 'Add user', others.map((u) => [u, u]),
      (u) => act(`Added ${u} to ${group}`, 'AddUserToGroup', { UserName: u, GroupName: group })),
    table('members', 'Members', ['User', ''], rows, 'No members.'));
}

async function attached(k, who) {
  const [mine, all] = await Promise.all([iam(`ListAttached${k.noun}Policies`, who), iam('ListPolicies')]);
  const arns = texts(mine, 'AttachedPolicies > member > PolicyArn');
  const choices = members(all, 'Policies').map((p) => [field(p, 'Arn'), field(p, 'PolicyName')]).filter(([arn]) => !arns.includes(arn));
  const rows = members(mine, 'AttachedPolicies').map((p) => {
    const [arn, name] = [field(p, 'PolicyArn'), field(p, 'PolicyName')];
    return [name, arn, button('Detach', `Detach ${name}`, () => act(`Detached ${name}`, `Detach${k.noun}Policy`, { ...who, PolicyArn: arn }))];
  });
  return fragment(el('h3', { text: 'Attached policies' }),
    picker('attach-policy', 'Managed policy', 'Attach policy', choices,
      (arn) => act('Attached the policy', `Attach${k.noun}Policy`, { ...who, PolicyArn: arn })),
    table('attached', 'Attached policies', ['Name', 'ARN', ''], rows, 'No policies attached.'));
}

async function inline(k, who) {
  const names = texts(await iam(`List${k.noun}Policies`, who), 'PolicyNames > member');
  const editor = form('Save inline policy', [
    ['inline-name', 'Inline policy name', el('input', { required: '' })],
    ['inline-document', 'Inline policy document (JSON)', el('textarea', { rows: '6', class: 'code', spellcheck: 'false' })],
  ], (f) => act(`Saved inline policy ${f.elements['inline-name'].value}`, `Put${k.noun}Policy`, {
    ...who, PolicyName: f.elements['inline-name'].value.trim(), PolicyDocument: f.elements['inline-document'].value,
  }));
  const rows = names.map((name) => [name, fragment(
    button('Edit', `Edit inline policy ${name}`, () => attempt(async () => {
      const got = await iam(`Get${k.noun}Policy`, { ...who, PolicyName: name });
      // IAM answers the document URL-encoded, as AWS does.
      editor.elements['inline-name'].value = name;
      editor.elements['inline-document'].value = decodeURIComponent(field(got, 'PolicyDocument'));
      editor.elements['inline-document'].focus();
    })), ' ',
    button('Delete', `Delete inline policy ${name}`, () => act(`Deleted inline policy ${name}`, `Delete${k.noun}Policy`, { ...who, PolicyName: name })))]);
  return fragment(el('h3', { text: 'Inline policies' }), table('inline', 'Inline policies', ['Name', ''], rows, 'No inline policies.'), editor);
}
