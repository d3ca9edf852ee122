package dev.sse.servlet;

import dev.sse.tck.AdapterContractTest;
import dev.sse.tck.AdapterFixture;

/** The adapter test kit on Jetty 12. */
class JettyAdapterContractTest extends AdapterContractTest {

    @Override
    protected AdapterFixture fixture() {
        return new ServletTckFixture(JettyFixture::new);
    }
}
