package dev.sse.servlet;

/** The suite on embedded Jetty 12 ee10. */
class JettySseServletTest extends AbstractSseServletTest {
    @Override
    ServerFixture newServer() {
        return new JettyFixture();
    }
}
