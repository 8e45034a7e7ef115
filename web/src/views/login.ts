// Sign in: the operator pastes the admin token; a tenant normally arrives by its portal link instead.
import { html } from 'lit-html';
import { t } from '../i18n';
import { session } from '../session';
import type { View } from '../ui';

export class LoginView implements View {
  constructor(private readonly onSignedIn: () => Promise<void>) {}

  private submit = async (e: Event) => {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const token = (new FormData(form).get('token') as string).trim();
    if (!token) return;
    if (token.startsWith('ptk_')) session.setTenantToken(token);
    else session.setAdminToken(token);
    location.hash = '#/';
    await this.onSignedIn();
  };

  render() {
    return html`<section class="card narrow">
      <h1>${t('login.title')}</h1>
      <p>${t('login.intro')}</p>
      <form @submit=${this.submit}>
        <div class="field">
          <label for="token">${t('login.token')}</label>
          <input id="token" name="token" type="password" autocomplete="off" required />
          <p class="hint">${t('login.tokenHint')}</p>
        </div>
        <button type="submit" class="primary">${t('login.submit')}</button>
      </form>
    </section>`;
  }
}
