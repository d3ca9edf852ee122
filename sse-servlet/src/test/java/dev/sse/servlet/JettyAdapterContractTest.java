package dev.sse.servlet;

import dev.sse.tck.AdapterContractTest;
import dev.sse.tck.AdapterFixture;
import dev.sse.tck.TckFeature;
import java.util.EnumSet;

/** The adapter test kit on Jetty 12, h2c (upgrade and prior knowledge) included. */
class JettyAdapterContractTest extends AdapterContractTest {

    @Override
    protected AdapterFixture fixture() {
        return new ServletTckFixture(JettyFixture::new, EnumSet.allOf(TckFeature.class));
    }
}
