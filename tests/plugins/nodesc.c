/*
 * nodesc: a test shared object that is not a Plexus plugin: it exports a
 * function but no descriptor.
 */
__attribute__((visibility("default"))) int nodesc_function(void);

int
nodesc_function(void)
{
    return 42;
}
