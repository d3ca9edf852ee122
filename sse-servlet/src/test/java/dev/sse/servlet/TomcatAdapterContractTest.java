package dev.sse.servlet;

import dev.sse.tck.AdapterContractTest;
import dev.sse.tck.AdapterFixture;
import dev.sse.tck.TckFeature;
import java.util.EnumSet;

/** The adapter test kit on Tomcat 11; its connector here speaks HTTP/1.1 only. */
class TomcatAdapterContractTest extends AdapterContractTest {

    @Override
    protected AdapterFixture fixture() {
        return new ServletTckFixture(TomcatFixture::new, EnumSet.complementOf(EnumSet.of(TckFeature.H2C)));
    }
}
