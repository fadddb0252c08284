// @ts-check
/**
 * A plain textarea made into a small code editor: a line-numbered gutter and a backdrop
 * behind the (transparent) textarea on which lines are marked and messages written at the end
 * of their line. The textarea does not wrap, so one text line is one screen line.
 */

/** @typedef {{ line: number, message: string }} LineMark */

export class LineEditor {
  /**
   * @param {HTMLTextAreaElement} textarea
   * @param {HTMLElement} gutter
   * @param {HTMLElement} backdrop
   */
  constructor(textarea, gutter, backdrop) {
    this.textarea = textarea;
    this.gutter = gutter;
    this.backdrop = backdrop;
    /** @type {LineMark[]} */
    this.marks = [];
    textarea.addEventListener('input', () => this.render());
    textarea.addEventListener('scroll', () => this.syncScroll());
    textarea.addEventListener('keydown', (e) => {
      // Tab indents by two spaces rather than leaving the field (Escape then Tab leaves it).
      if (e.key === 'Tab' && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey && !this.escaped) {
        e.preventDefault();
        // insertText keeps the browser's undo history; setRangeText where it is not supported.
        if (!document.execCommand('insertText', false, '  ')) {
          textarea.setRangeText('  ', textarea.selectionStart, textarea.selectionEnd, 'end');
          textarea.dispatchEvent(new Event('input'));
        }
      }
      this.escaped = e.key === 'Escape';
    });
    this.escaped = false;
  }

  get value() {
    return this.textarea.value;
  }

  set value(text) {
    this.textarea.value = text;
    this.marks = [];
    this.render();
  }

  /** @param {LineMark[]} marks */
  setMarks(marks) {
    this.marks = marks;
    this.render();
  }

  render() {
    const lines = this.textarea.value.split('\n');
    /** @type {Map<number, string[]>} */
    const byLine = new Map();
    for (const m of this.marks) {
      const line = Math.min(Math.max(1, m.line), lines.length);
      const list = byLine.get(line) ?? [];
      list.push(m.message);
      byLine.set(line, list);
    }
    const gutter = document.createDocumentFragment();
    const back = document.createDocumentFragment();
    lines.forEach((text, k) => {
      const n = k + 1;
      const messages = byLine.get(n);
      const g = document.createElement('div');
      g.className = 'gutter-line';
      g.textContent = String(n);
      g.dataset.line = String(n);
      g.dataset.testid = `gutter-line-${n}`;
      const b = document.createElement('div');
      b.className = 'backdrop-line';
      b.dataset.testid = `editor-line-${n}`;
      b.textContent = text === '' ? ' ' : text;
      if (messages) {
        g.classList.add('has-error');
        g.title = messages.join('\n');
        b.classList.add('has-error');
        const note = document.createElement('span');
        note.className = 'line-message';
        note.dataset.testid = 'line-message';
        note.textContent = messages.join('; ');
        b.append(note);
      }
      gutter.append(g);
      back.append(b);
    });
    this.gutter.replaceChildren(gutter);
    this.backdrop.replaceChildren(back);
    this.syncScroll();
  }

  syncScroll() {
    this.gutter.scrollTop = this.textarea.scrollTop;
    this.backdrop.scrollTop = this.textarea.scrollTop;
    this.backdrop.scrollLeft = this.textarea.scrollLeft;
  }
}
