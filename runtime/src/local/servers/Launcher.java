import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts one Elasticsearch or OpenSearch node through the codelibs runner on an exact HTTP port,
 * with extra settings, and keeps it up until SIGTERM.
 * Usage: Launcher <runnerClass> <basePath> <clusterName> <httpPort> [key=value ...]
 */
public class Launcher {
  public static void main(String[] args) throws Exception {
    Class<?> runnerClass = Class.forName(args[0]);
    String basePath = args[1], clusterName = args[2];
    int httpPort = Integer.parseInt(args[3]);
    List<String[]> settings = new ArrayList<>();
    for (int i = 4; i < args.length; i++) settings.add(args[i].split("=", 2));

    Object runner = runnerClass.getConstructor().newInstance();
    // The runner searches upward from base+1 and stops at its max; pin both to the one port we want.
    runnerClass.getMethod("setMaxHttpPort", int.class).invoke(runner, httpPort);
    Class<?> builderType = Class.forName(args[0] + "$Builder");
    Object onBuild = Proxy.newProxyInstance(builderType.getClassLoader(), new Class<?>[] {builderType}, (proxy, m, a) -> {
      if (!m.getName().equals("build")) return m.invoke(proxy, a);
      Object settingsBuilder = a[1];
      Method put = settingsBuilder.getClass().getMethod("put", String.class, String.class);
      for (String[] kv : settings) put.invoke(settingsBuilder, kv[0], kv[1]);
      return null;
    });
    runnerClass.getMethod("onBuild", builderType).invoke(runner, onBuild);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try { runnerClass.getMethod("close").invoke(runner); } catch (Exception e) { e.printStackTrace(); }
    }));
    String[] runnerArgs = {"-basePath", basePath, "-numOfNode", "1", "-baseHttpPort", String.valueOf(httpPort - 1),
        "-clusterName", clusterName};
    runnerClass.getMethod("build", String[].class).invoke(runner, (Object) runnerArgs);
    System.out.println("LAUNCHER READY http=" + httpPort);
    Thread.currentThread().join();
  }
}
