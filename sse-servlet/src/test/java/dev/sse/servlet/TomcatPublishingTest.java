package dev.sse.servlet;

/** Publishing over HTTP on embedded Tomcat 11. */
class TomcatPublishingTest extends AbstractPublishingTest {
    @Override
    ServerFixture newServer() {
        return new TomcatFixture();
    }
}
