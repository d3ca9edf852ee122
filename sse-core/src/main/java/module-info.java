/**
 * Server-Sent Events core: the event model, the exact WHATWG encoder and parser, channels and the hub.
 */
module dev.sse.core {
    requires org.slf4j;

    exports dev.sse.core;
    exports dev.sse.core.spi;
    exports dev.sse.core.http;

    uses dev.sse.core.spi.BackplaneProvider;
}
