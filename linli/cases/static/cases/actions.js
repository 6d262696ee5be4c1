// The action forms on a case's page. Without this script every form still works: the whole handler list shows
// (the server checks the choice), and a ready-made text chosen with an empty note is sent as the note.
document.addEventListener("DOMContentLoaded", () => {
  // Dispatch: the handler list shows only the people holding the chosen role, and picking a handler chooses their
  // role (a handler who does not hold the role would be refused).
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
  // A ready-made text (response template) fills the note, to be edited before sending.
  for (const picker of document.querySelectorAll("select[data-fills]")) {
    picker.addEventListener("change", () => {
      const note = document.getElementById(picker.dataset.fills);
      const option = picker.selectedOptions[0];
      if (note && option && option.dataset.text) {
        note.value = option.dataset.text;
        note.focus();
      }
    });
  }
});
