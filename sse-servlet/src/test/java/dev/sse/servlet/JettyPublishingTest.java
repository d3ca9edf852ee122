package dev.sse.servlet;

/** Publishing over HTTP on embedded Jetty 12 ee10. */
class JettyPublishingTest extends AbstractPublishingTest {
    @Override
    ServerFixture newServer() {
        return new JettyFixture();
    }
}
