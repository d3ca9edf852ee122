package dev.sse.servlet;

import jakarta.servlet.ServletContext;
import jakarta.servlet.http.HttpServlet;
import java.io.File;
import java.nio.file.Files;
import java.util.Map;
import org.apache.catalina.Context;
import org.apache.catalina.Wrapper;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.apache.coyote.http2.Http2Protocol;
import org.apache.tomcat.util.scan.StandardJarScanner;

/** Embedded Tomcat 11 with its NIO connector, HTTP/1.1 and h2c. */
final class TomcatFixture implements ServerFixture {

    private Tomcat tomcat;
    private Context context;

    private Tomcat create() throws Exception {
        Tomcat t = new Tomcat();
        File base = Files.createTempDirectory("tomcat").toFile();
        t.setBaseDir(base.getAbsolutePath());
        Connector connector = new Connector("HTTP/1.1");
        connector.setPort(0);
        connector.setProperty("address", "127.0.0.1");
        // As the publishing Javadoc advises: Tomcat otherwise sends 100 Continue before any servlet sees the request.
        connector.setProperty("continueResponseTiming", "onRead");
        // h2c, taken up only when a client asks for it (Upgrade: h2c or the HTTP/2 preface).
        connector.addUpgradeProtocol(new Http2Protocol());
        t.setConnector(connector);
        t.getHost().setAutoDeploy(false);
        return t;
    }

    @Override
    public int start(HttpServlet servlet, Map<String, String> initParams) throws Exception {
        tomcat = create();
        context = tomcat.addContext("", Files.createTempDirectory("ctx").toFile().getAbsolutePath());
        Wrapper w = Tomcat.addServlet(context, "sse", servlet);
        w.setAsyncSupported(true);
        w.setLoadOnStartup(1);
        initParams.forEach(w::addInitParameter);
        context.addServletMapping("/events", "sse");
        tomcat.start();
        return tomcat.getConnector().getLocalPort();
    }

    @Override
    public int startAll(Map<String, HttpServlet> servletsByPath) throws Exception {
        tomcat = create();
        context = tomcat.addContext("", Files.createTempDirectory("ctx").toFile().getAbsolutePath());
        servletsByPath.forEach((path, servlet) -> {
            String name = "sse" + path.replace('/', '-');
            Wrapper w = Tomcat.addServlet(context, name, servlet);
            w.setAsyncSupported(true);
            w.setLoadOnStartup(1);
            context.addServletMappingDecoded(path, name);
        });
        tomcat.start();
        return tomcat.getConnector().getLocalPort();
    }

    @Override
    public int startWebapp(String dir) throws Exception {
        tomcat = create();
        context = tomcat.addWebapp("", new File(dir).getAbsolutePath());
        StandardJarScanner scanner = new StandardJarScanner();
        scanner.setScanClassPath(false);
        scanner.setScanManifest(false);
        context.setJarScanner(scanner);
        context.setParentClassLoader(getClass().getClassLoader());
        tomcat.start();
        return tomcat.getConnector().getLocalPort();
    }

    @Override
    public ServletContext servletContext() {
        return context.getServletContext();
    }

    @Override
    public void stop() throws Exception {
        if (tomcat != null) {
            tomcat.stop();
            tomcat.destroy();
            tomcat = null;
        }
    }
}
