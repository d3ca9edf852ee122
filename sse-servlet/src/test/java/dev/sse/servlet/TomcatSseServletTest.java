package dev.sse.servlet;

/** The suite on embedded Tomcat 11. */
class TomcatSseServletTest extends AbstractSseServletTest {
    @Override
    ServerFixture newServer() {
        return new TomcatFixture();
    }
}
