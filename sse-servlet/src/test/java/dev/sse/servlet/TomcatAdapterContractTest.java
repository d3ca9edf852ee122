package dev.sse.servlet;

import dev.sse.tck.AdapterContractTest;
import dev.sse.tck.AdapterFixture;
import dev.sse.tck.TckFeature;
import java.util.EnumSet;

/** The adapter test kit on Tomcat 11, h2c included. */
class TomcatAdapterContractTest extends AdapterContractTest {

    @Override
    protected AdapterFixture fixture() {
        return new ServletTckFixture(TomcatFixture::new, EnumSet.allOf(TckFeature.class));
    }
}
