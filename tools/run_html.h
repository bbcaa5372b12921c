/* SPDX-License-Identifier: MIT */
/*
 * gupsim-run --html: record the machine after every step of a script and
 * write one self-contained HTML page that replays it (run_html.c; the
 * page's CSS and JS are in tools/html/view.html, embedded at build time).
 */
#ifndef GUPSIM_RUN_HTML_H
#define GUPSIM_RUN_HTML_H

struct run;
struct html_view;

/** Start recording a run of @script; the page goes to @out at the end. */
struct html_view *html_open(const char *out, const char *script);
/** A script line as read (comments become the next frame's narration). */
void html_line(struct html_view *h, const char *line);
/** The last line's command ran: take a frame (an `expect` joins the last frame). */
void html_step(struct html_view *h, struct run *r, int err);
/** Write the page and free @h; returns 0, or -1 if the file cannot be written. */
int html_close(struct html_view *h, struct run *r);

#endif /* GUPSIM_RUN_HTML_H */
