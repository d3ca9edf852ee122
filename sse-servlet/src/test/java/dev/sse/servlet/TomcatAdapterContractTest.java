package dev.sse.servlet;

import dev.sse.tck.AdapterContractTest;
import dev.sse.tck.AdapterFixture;

/** The adapter test kit on Tomcat 11. */
class TomcatAdapterContractTest extends AdapterContractTest {

    @Override
    protected AdapterFixture fixture() {
        return new ServletTckFixture(TomcatFixture::new);
    }
}
