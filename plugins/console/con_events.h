/*
 * One line of text per event of the event table, for the console's event
 * stream: what a person scanning the stream wants to know of each topic
 * the stock plugins publish (the switch and port of a packet-in and what
 * the frame is, the reason a switch went down, a reload's outcome...),
 * and the size of the payload for topics it does not know.
 *
 * Pure: reads the payload as its topic's header declares it, checking the
 * length first; no host calls.
 */
#ifndef CON_EVENTS_H
#define CON_EVENTS_H 1

#include <stddef.h>

struct px_event;

/* Writes the summary of 'ev' into 'buf' (always terminated when 'size' is
 * not 0, cut to fit); returns 'buf'. */
char *con_event_summary(const struct px_event *ev, char *buf, size_t size);

#endif /* CON_EVENTS_H */
