// Signing in with an API token (`territoria users add NAME --role elu`): agents and elected
// officials then see the restricted data their role may read. The token stays in this tab only.

import * as api from "./api.js";
import { clear, h } from "./dom.js";

export function setupSession(onChange) {
  const button = document.getElementById("connexion");
  const dialog = document.getElementById("dialogue-connexion");
  const form = dialog.querySelector("form");
  const input = dialog.querySelector("#jeton");
  const message = dialog.querySelector(".message");

  const refresh = () => {
    const signedIn = Boolean(api.token());
    button.textContent = signedIn ? "Se déconnecter" : "Se connecter";
    button.setAttribute("aria-label", signedIn ? "Se déconnecter (accès avec jeton actif)" : "Se connecter avec un jeton d’accès");
    document.body.dataset.session = signedIn ? "jeton" : "public";
  };

  button.addEventListener("click", () => {
    if (api.token()) {
      api.setToken(null);
      refresh();
      onChange();
      return;
    }
    clear(message);
    input.value = "";
    dialog.showModal();
    input.focus();
  });
  dialog.querySelector("[data-action=annuler]").addEventListener("click", () => dialog.close());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = input.value.trim();
    if (!value) return;
    clear(message).append(h("p", { class: "muted" }, "Vérification…"));
    try {
      await api.checkToken(value);
    } catch (error) {
      const why = error.status === 401 ? "il est inconnu ou a été révoqué." : error.message;
      clear(message).append(h("p", { class: "error", role: "alert" }, `Jeton refusé : ${why}`));
      return;
    }
    api.setToken(value);
    dialog.close();
    refresh();
    onChange();
  });
  refresh();
}
