// The dispatch form on a case's page: the handler list shows only the people holding the chosen role, and picking
// a handler chooses their role (a handler who does not hold the role would be refused). Without this script the
// whole list shows and the server still checks the choice.
document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-dispatch]")) {
    const role = form.querySelector("select[name=role]");
    const handler = form.querySelector("select[name=assignee]");
    if (!role || !handler) continue;
    const narrow = () => {
      for (const group of handler.querySelectorAll("optgroup")) {
        const shown = !role.value || group.dataset.role === role.value;
        group.hidden = !shown;
        group.disabled = !shown;
      }
      const chosen = handler.selectedOptions[0];
      if (chosen && chosen.parentElement.disabled) handler.value = "";
    };
    role.addEventListener("change", narrow);
    handler.addEventListener("change", () => {
      const group = handler.selectedOptions[0] && handler.selectedOptions[0].parentElement;
      if (group && group.dataset.role && role.value !== group.dataset.role) {
        role.value = group.dataset.role;
        narrow();
      }
    });
    narrow();
  }
});
