// Starts Amazon's DynamoDB Local listening on 127.0.0.1 only. DynamoDB Local
// has no bind-address option and listens on every interface, so this launcher
// builds the server from the usual command-line arguments and sets the host of
// its Jetty connector before starting it. Run in Java's single-file mode:
//   java -cp "DynamoDBLocal.jar:DynamoDBLocal_lib/*" DynamoDBLocalLoopback.java -inMemory -port 8000
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public class DynamoDBLocalLoopback {
    public static void main(String[] args) throws Exception {
        DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
        Field f = DynamoDBProxyServer.class.getDeclaredField("server");
        f.setAccessible(true);
        Server jetty = (Server) f.get(proxy);
        for (Connector c : jetty.getConnectors()) {
            ((ServerConnector) c).setHost("127.0.0.1");
        }
        proxy.start();
        System.out.println("DynamoDB Local listening on 127.0.0.1");
        proxy.join();
    }
}
