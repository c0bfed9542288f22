/*
 * An intrusive doubly linked list, in the style of Open vSwitch's ovs_list:
 * the node lives inside the element, so inserting and removing never
 * allocate, and an element can remove itself in O(1) when it knows nothing of
 * the list that holds it.
 */
#ifndef PX_LIST_H
#define PX_LIST_H 1

#include <stddef.h>

struct px_list {
    struct px_list *prev;
    struct px_list *next;
};

#define PX_LIST_INITIALIZER(L)                                                \
    {                                                                         \
        (L), (L)                                                              \
    }

#define PX_CONTAINER_OF(PTR, TYPE, MEMBER)                                    \
    ((TYPE *)(void *)((char *)(PTR)-offsetof(TYPE, MEMBER)))

static inline void
px_list_init(struct px_list *l)
{
    l->prev = l->next = l;
}

static inline int
px_list_is_empty(const struct px_list *l)
{
    return l->next == l;
}

/* Inserts 'e' before 'before' (at the tail when 'before' is the list). */
static inline void
px_list_insert(struct px_list *before, struct px_list *e)
{
    e->prev = before->prev;
    e->next = before;
    before->prev->next = e;
    before->prev = e;
}

static inline void
px_list_push_back(struct px_list *l, struct px_list *e)
{
    px_list_insert(l, e);
}

static inline void
px_list_remove(struct px_list *e)
{
    e->prev->next = e->next;
    e->next->prev = e->prev;
    e->prev = e->next = e;
}

/* Moves every element of 'src' to 'dst' (whose contents are discarded);
 * 'src' ends up empty. */
static inline void
px_list_move(struct px_list *dst, struct px_list *src)
{
    if (px_list_is_empty(src)) {
        px_list_init(dst);
        return;
    }
    dst->next = src->next;
    dst->prev = src->prev;
    dst->next->prev = dst;
    dst->prev->next = dst;
    px_list_init(src);
}

/* Iterates with a cursor that survives removal of the current element. */
#define PX_LIST_FOR_EACH_SAFE(VAR, NEXT, MEMBER, LIST)                        \
    for ((VAR) = PX_CONTAINER_OF((LIST)->next, __typeof__(*(VAR)), MEMBER);   \
         &(VAR)->MEMBER != (LIST) &&                                          \
         ((NEXT) = PX_CONTAINER_OF((VAR)->MEMBER.next, __typeof__(*(VAR)),    \
                                   MEMBER),                                   \
         1);                                                                  \
         (VAR) = (NEXT))

#define PX_LIST_FOR_EACH(VAR, MEMBER, LIST)                                   \
    for ((VAR) = PX_CONTAINER_OF((LIST)->next, __typeof__(*(VAR)), MEMBER);   \
         &(VAR)->MEMBER != (LIST);                                            \
         (VAR) =                                                              \
             PX_CONTAINER_OF((VAR)->MEMBER.next, __typeof__(*(VAR)), MEMBER))

#endif /* PX_LIST_H */
