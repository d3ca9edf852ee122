package dev.sse.servlet;

/** Per-request streams on embedded Tomcat 11. */
class TomcatSseStreamsTest extends AbstractSseStreamsTest {
    @Override
    ServerFixture newServer() {
        return new TomcatFixture();
    }
}
