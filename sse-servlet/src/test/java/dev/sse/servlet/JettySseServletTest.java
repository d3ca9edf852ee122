package dev.sse.servlet;

/**
 * The servlet-only suite on embedded Jetty 12 ee10; what every runtime must do (h2c included) runs in
 * {@link JettyAdapterContractTest}.
 */
class JettySseServletTest extends AbstractSseServletTest {

    @Override
    ServerFixture newServer() {
        return new JettyFixture();
    }
}
