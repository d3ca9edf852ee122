package dev.sse.servlet;

/** Per-request streams on embedded Jetty 12 ee10. */
class JettySseStreamsTest extends AbstractSseStreamsTest {
    @Override
    ServerFixture newServer() {
        return new JettyFixture();
    }
}
