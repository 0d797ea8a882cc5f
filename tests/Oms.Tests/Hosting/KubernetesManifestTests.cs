using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Oms.Grains.Hosting;
using Oms.Tests.Infrastructure;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Hosting.Kubernetes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace Oms.Tests.Hosting;

/// <summary>
/// deploy/kubernetes, read as Kubernetes would read it (issue #17, part 5): no cluster here, so every field a pod
/// needs to start, join and be probed is checked against the application it runs instead.
/// </summary>
public sealed class KubernetesManifestTests
{
    private static readonly string Folder = Path.Combine(OmsProcesses.RepositoryRoot(), "deploy", "kubernetes");

    private readonly IReadOnlyList<Manifest> _manifests = Manifest.Load(Folder);
    private readonly Node _kustomization = Node.Parse(File.ReadAllText(Path.Combine(Folder, "kustomization.yaml"))).Single();

    private Manifest One(string kind, string name) => _manifests.Single(m => m.Kind == kind && m.Name == name);

    private IEnumerable<Manifest> Deployments => _manifests.Where(m => m.Kind == "Deployment");

    private Manifest Deployment(string component) =>
        Deployments.Single(d => d.Root["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"].Text == component);

    private static Node Container(Manifest deployment) => deployment.Root["spec"]["template"]["spec"]["containers"].Items.Single();

    private IReadOnlyDictionary<string, string> Settings =>
        One("ConfigMap", "oms-settings").Root["data"].Entries.ToDictionary(e => e.Key, e => e.Value.Text);

    [Fact]
    public void Kustomization_lists_every_manifest_in_the_folder_and_nothing_else()
    {
        var listed = _kustomization["resources"].Items.Select(r => r.Text).Order(StringComparer.Ordinal).ToList();
        var manifests = Directory.GetFiles(Folder, "*.yaml").Select(Path.GetFileName).OfType<string>()
            .Where(f => f != "kustomization.yaml").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(manifests, listed);

        // Whatever else is in the folder is git's, a generator's secret input (the operator's, ignored) or its example.
        var inputs = GeneratorInputs().ToHashSet();
        var others = Directory.GetFiles(Folder).Select(Path.GetFileName).OfType<string>()
            .Where(f => !f.EndsWith(".yaml", StringComparison.Ordinal) && f != ".gitignore" && !inputs.Contains(f));
        Assert.All(others, f => Assert.Contains(f, inputs.Select(i => i + ".example")));
    }

    [Fact]
    public void Secret_inputs_are_ignored_by_git_and_the_example_has_every_key_the_pods_read()
    {
        var ignored = File.ReadAllLines(Path.Combine(Folder, ".gitignore")).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        Assert.All(GeneratorInputs(), input => Assert.Contains(ignored, i => i == input || (i.EndsWith('/') && input.StartsWith(i, StringComparison.Ordinal))));

        var generator = Generator("oms-secrets");
        var example = File.ReadAllLines(Path.Combine(Folder, generator["envs"].Items.Single().Text + ".example"))
            .Where(l => l.Contains('=') && !l.StartsWith('#')).Select(l => l[..l.IndexOf('=')]).ToHashSet();
        var read = Deployments.SelectMany(d => Container(d)["env"].Items)
            .Select(e => e["valueFrom"]["secretKeyRef"])
            .Where(r => r.Exists && r["name"].Text == "oms-secrets")
            .Select(r => r["key"].Text)
            .ToHashSet();
        Assert.Equal(read.Order(StringComparer.Ordinal), example.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_container_has_resource_requests_and_limits_and_probes_on_ports_it_declares()
    {
        Assert.Equal(["api", "silo"], Deployments.Select(d => Container(d)["name"].Text).Order(StringComparer.Ordinal));
        foreach (var deployment in Deployments)
        {
            var container = Container(deployment);
            foreach (var bound in new[] { "requests", "limits" })
            {
                Assert.True(container["resources"][bound]["cpu"].Text.Length > 0, $"{deployment.Name} {bound}.cpu");
                Assert.True(container["resources"][bound]["memory"].Text.Length > 0, $"{deployment.Name} {bound}.memory");
            }

            var ports = container["ports"].Items.SelectMany(p => new[] { p["name"].Text, p["containerPort"].Text }).ToHashSet();
            foreach (var probe in new[] { "readinessProbe", "livenessProbe" })
            {
                var action = container[probe]["httpGet"].Exists ? container[probe]["httpGet"] : container[probe]["tcpSocket"];
                Assert.True(action.Exists, $"{deployment.Name} has a {probe} by HTTP or TCP");
                Assert.Contains(action["port"].Text, ports);
            }
        }
    }

    [Fact]
    public void A_silo_is_given_what_Orleans_Kubernetes_hosting_reads_and_may_watch_and_delete_its_cluster_pods()
    {
        var silo = Deployment("silo");
        var env = Container(silo)["env"].Items.ToDictionary(e => e["name"].Text);
        string Field(string name) => env[name]["valueFrom"]["fieldRef"]["fieldPath"].Text;
        Assert.Equal("metadata.name", Field(KubernetesHostingOptions.PodNameEnvironmentVariable));
        Assert.Equal("metadata.namespace", Field(KubernetesHostingOptions.PodNamespaceEnvironmentVariable));
        Assert.Equal("status.podIP", Field(KubernetesHostingOptions.PodIPEnvironmentVariable));
        Assert.Equal($"metadata.labels['{KubernetesHostingOptions.ServiceIdLabel}']", Field(KubernetesHostingOptions.ServiceIdEnvironmentVariable));
        Assert.Equal($"metadata.labels['{KubernetesHostingOptions.ClusterIdLabel}']", Field(KubernetesHostingOptions.ClusterIdEnvironmentVariable));
        Assert.Equal("true", env["Orleans__Kubernetes"]["value"].Text);

        // The silos take their ids from the labels, the API nodes from the settings: they must be one cluster.
        var labels = silo.Root["spec"]["template"]["metadata"]["labels"];
        Assert.Equal(Settings["Orleans__ServiceId"], labels[KubernetesHostingOptions.ServiceIdLabel].Text);
        Assert.Equal(Settings["Orleans__ClusterId"], labels[KubernetesHostingOptions.ClusterIdLabel].Text);

        var account = silo.Root["spec"]["template"]["spec"]["serviceAccountName"].Text;
        Assert.Equal("ServiceAccount", One("ServiceAccount", account).Kind);
        var binding = _manifests.Single(m => m.Kind == "RoleBinding"
            && m.Root["subjects"].Items.Any(s => s["kind"].Text == "ServiceAccount" && s["name"].Text == account));
        Assert.Equal("Role", binding.Root["roleRef"]["kind"].Text);
        var rule = One("Role", binding.Root["roleRef"]["name"].Text).Root["rules"].Items
            .Single(r => r["apiGroups"].Items.Any(g => g.Text == "") && r["resources"].Items.Any(x => x.Text == "pods"));
        // The agent reads and labels its own pod (get, patch), lists and watches the cluster's, deletes a dead silo's.
        Assert.Equal(["delete", "get", "list", "patch", "watch"], rule["verbs"].Items.Select(v => v.Text).Order(StringComparer.Ordinal));

        // The API node has no business with the Kubernetes API.
        Assert.Equal("false", Deployment("api").Root["spec"]["template"]["spec"]["automountServiceAccountToken"].Text);
    }

    [Fact]
    public void A_stopping_silo_is_given_longer_than_its_own_stop_takes()
    {
        var grace = TimeSpan.FromSeconds(int.Parse(Deployment("silo").Root["spec"]["template"]["spec"]["terminationGracePeriodSeconds"].Text));

        // The host's whole stop budget, within which Orleans drains its gateway and hands its grains over.
        var stop = new HostOptions().ShutdownTimeout;
        Assert.True(grace > stop && stop > OmsHosting.DefaultGatewayDrain, $"{grace} against a stop of up to {stop}");
        var api = Deployment("api").Root["spec"]["template"]["spec"];
        var preStop = api["containers"].Items.Single()["lifecycle"]["preStop"]["exec"]["command"].Items.Select(c => c.Text).ToList();
        Assert.Equal("sleep", preStop[0]);
        Assert.True(int.Parse(api["terminationGracePeriodSeconds"].Text) > int.Parse(preStop[1]) + stop.TotalSeconds);
    }

    [Fact]
    public void Silo_and_API_run_the_one_image_the_Dockerfile_builds_and_the_Service_reaches_the_API_port()
    {
        var dockerfile = File.ReadAllText(Path.Combine(OmsProcesses.RepositoryRoot(), "deploy", "Dockerfile"));
        var image = _kustomization["images"].Items.Single()["name"].Text;
        foreach (var (component, project) in new[] { ("silo", "Silo"), ("api", "Api") })
        {
            var container = Container(Deployment(component));
            Assert.Equal(image, container["image"].Text);
            var command = container["command"].Items.Select(c => c.Text).ToList();
            Assert.Equal(["dotnet", $"/app/{component}/Oms.{project}.dll"], command);
            Assert.Contains($"dotnet publish src/{project}/Oms.{project}.csproj -c Release --no-restore -o /app/{component}", dockerfile);
        }

        var service = One("Service", "oms-api").Root["spec"];
        var selected = Deployments.Where(d => service["selector"].Entries.All(s => d.Root["spec"]["template"]["metadata"]["labels"][s.Key].Text == s.Value.Text)).ToList();
        var apiDeployment = Assert.Single(selected);
        Assert.Equal("api", Container(apiDeployment)["name"].Text);
        var target = service["ports"].Items.Single()["targetPort"].Text;
        var port = Container(apiDeployment)["ports"].Items.Single(p => p["name"].Text == target || p["containerPort"].Text == target);
        Assert.Equal(Container(apiDeployment)["env"].Items.Single(e => e["name"].Text == "ASPNETCORE_HTTP_PORTS")["value"].Text, port["containerPort"].Text);
    }

    [Fact]
    public void Each_deployment_has_a_disruption_budget_over_exactly_its_pods()
    {
        foreach (var deployment in Deployments)
        {
            var labels = deployment.Root["spec"]["template"]["metadata"]["labels"];
            var budgets = _manifests.Where(m => m.Kind == "PodDisruptionBudget"
                && m.Root["spec"]["selector"]["matchLabels"].Entries.All(s => labels[s.Key].Text == s.Value.Text)).ToList();
            var budget = Assert.Single(budgets);
            Assert.Equal("1", budget.Root["spec"]["maxUnavailable"].Text);
        }
    }

    [Fact]
    public void Only_silos_reach_the_silo_port_only_API_nodes_the_gateway_port_and_the_outside_only_HTTP()
    {
        var silo = Container(Deployment("silo"))["ports"].Items.ToDictionary(p => p["name"].Text, p => p["containerPort"].Text);
        Assert.Equal(Settings["Orleans__SiloPort"], silo["silo"]);
        Assert.Equal(Settings["Orleans__GatewayPort"], silo["gateway"]);

        var policy = One("NetworkPolicy", "oms-silo").Root["spec"];
        Assert.Equal("silo", policy["podSelector"]["matchLabels"]["app.kubernetes.io/component"].Text);
        var admitted = policy["ingress"].Items.ToDictionary(
            rule => rule["ports"].Items.Single()["port"].Text,
            rule => rule["from"].Items.Single()["podSelector"]["matchLabels"]["app.kubernetes.io/component"].Text);
        Assert.Equal(new Dictionary<string, string> { [silo["silo"]] = "silo", [silo["gateway"]] = "api" }, admitted);

        var api = One("NetworkPolicy", "oms-api").Root["spec"];
        Assert.Equal("api", api["podSelector"]["matchLabels"]["app.kubernetes.io/component"].Text);
        var open = api["ingress"].Items.Single();
        Assert.False(open["from"].Exists);
        Assert.Equal(Container(Deployment("api"))["ports"].Items.Single()["containerPort"].Text, open["ports"].Items.Single()["port"].Text);
    }

    [Fact]
    public void The_cluster_certificates_are_mounted_where_the_Orleans_Tls_settings_point()
    {
        var files = Generator("oms-cluster-tls")["files"].Items.Select(f => Path.GetFileName(f.Text)).ToList();
        foreach (var deployment in Deployments)
        {
            var spec = deployment.Root["spec"]["template"]["spec"];
            var volume = spec["volumes"].Items.Single(v => v["secret"]["secretName"].Text == "oms-cluster-tls")["name"].Text;
            var mount = Container(deployment)["volumeMounts"].Items.Single(m => m["name"].Text == volume);
            Assert.Equal("true", mount["readOnly"].Text);
            var settings = new[] { "Certificate", "Key", "Authority" }.Select(s => Settings[$"Orleans__Tls__{s}"]).ToList();
            Assert.All(settings, path => Assert.Equal(mount["mountPath"].Text, Path.GetDirectoryName(path)));
            Assert.Equal(files.Order(StringComparer.Ordinal), settings.Select(Path.GetFileName).Order(StringComparer.Ordinal));
            Assert.Equal("oms-settings", Container(deployment)["envFrom"].Items.Single()["configMapRef"]["name"].Text);
        }
    }

    [Fact]
    public void Every_variable_the_manifests_set_is_a_setting_the_README_documents_or_one_the_platform_reads()
    {
        var documented = DocumentedSettings();
        var secretKeys = File.ReadAllLines(Path.Combine(Folder, "secrets.env.example"))
            .Where(l => l.Contains('=') && !l.StartsWith('#')).Select(l => l[..l.IndexOf('=')]);
        var names = Settings.Keys
            .Concat(Deployments.SelectMany(d => Container(d)["env"].Items.Select(e => e["name"].Text)))
            .Concat(secretKeys)
            .Distinct()
            .ToList();
        Assert.Contains("ConnectionStrings__Oms", names);
        Assert.Contains("Oms__Hosting", names);

        // Read by Orleans' Kubernetes hosting and ASP.NET Core rather than by Oms; logging is configuration's own section.
        string[] platform =
        [
            KubernetesHostingOptions.PodNameEnvironmentVariable, KubernetesHostingOptions.PodNamespaceEnvironmentVariable,
            KubernetesHostingOptions.PodIPEnvironmentVariable, KubernetesHostingOptions.ServiceIdEnvironmentVariable,
            KubernetesHostingOptions.ClusterIdEnvironmentVariable, "ASPNETCORE_HTTP_PORTS",
        ];
        var unknown = names
            .Where(n => !platform.Contains(n) && !n.StartsWith("Logging__", StringComparison.Ordinal))
            .Where(n => !documented.Any(d => d.IsMatch(n.Replace("__", ":", StringComparison.Ordinal))))
            .ToList();
        Assert.Empty(unknown);
    }

    [Fact]
    public async Task The_API_probes_ask_paths_the_API_serves()
    {
        var probes = Container(Deployment("api"));
        var (live, ready) = (probes["livenessProbe"]["httpGet"]["path"].Text, probes["readinessProbe"]["httpGet"]["path"].Text);

        // The real binary as the pod runs it (a client node), with no silo to answer: live at once, and not ready.
        await using var processes = new OmsProcesses(connectionString: null);
        var api = processes.StartApiProcess("--Oms:Hosting=client", $"--Orleans:Gateways=127.0.0.1:{OmsProcesses.FreePort()}");
        using var http = new HttpClient { BaseAddress = api.Url, Timeout = TimeSpan.FromSeconds(10) };
        var liveAnswer = await Eventually.Until(() => TryGet(http, live), r => r is not null, TimeSpan.FromSeconds(30), $"HTTP opens\n{processes.Logs()}");
        Assert.Equal(HttpStatusCode.OK, liveAnswer!.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync(ready)).StatusCode);
    }

    private static async Task<HttpResponseMessage?> TryGet(HttpClient http, string path)
    {
        try
        {
            return await http.GetAsync(path);
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private Node Generator(string name) => _kustomization["secretGenerator"].Items.Single(g => g["name"].Text == name);

    /// <summary>Every file a secret generator reads: the operator's, never in the repository.</summary>
    private IEnumerable<string> GeneratorInputs() => _kustomization["secretGenerator"].Items
        .SelectMany(g => g["envs"].Items.Concat(g["files"].Items)).Select(f => f.Text);

    /// <summary>
    /// The first column of the README's settings table as patterns: `A:B`, the `:C` shorthand for a sibling of the
    /// name before it, and `&lt;role&gt;` placeholders for any one segment.
    /// </summary>
    private static List<Regex> DocumentedSettings()
    {
        var readme = File.ReadAllLines(Path.Combine(OmsProcesses.RepositoryRoot(), "README.md"));
        var start = Array.FindIndex(readme, l => l.StartsWith("| Setting |", StringComparison.Ordinal));
        var patterns = new List<Regex>();
        foreach (var row in readme.Skip(start + 2).TakeWhile(l => l.StartsWith('|')))
        {
            var cell = row.Split('|')[1];
            string? previous = null;
            foreach (Match name in Regex.Matches(cell, "`([^`]+)`"))
            {
                var setting = name.Groups[1].Value;
                if (setting.StartsWith("--", StringComparison.Ordinal))
                {
                    continue;
                }

                if (setting.StartsWith(':') && previous is not null)
                {
                    setting = previous[..previous.LastIndexOf(':')] + setting;
                }

                previous = setting;
                var pattern = Regex.Replace(Regex.Escape(setting), "<[^>]+>", "[^:]+").Replace(@"\*", ".+", StringComparison.Ordinal);
                patterns.Add(new Regex($"^{pattern}$", RegexOptions.IgnoreCase));
            }
        }

        Assert.NotEmpty(patterns);
        return patterns;
    }

    /// <summary>One document of a manifest file.</summary>
    private sealed record Manifest(string File, Node Root)
    {
        public string Kind => Root["kind"].Text;

        public string Name => Root["metadata"]["name"].Text;

        public static IReadOnlyList<Manifest> Load(string folder) => Directory.GetFiles(folder, "*.yaml")
            .Where(f => Path.GetFileName(f) != "kustomization.yaml")
            .SelectMany(f => Node.Parse(System.IO.File.ReadAllText(f)).Select(root => new Manifest(Path.GetFileName(f), root)))
            .ToList();
    }

    /// <summary>
    /// A parsed YAML node that answers a missing key or item with an absent node instead of throwing, so a test reads
    /// a deep path in one expression and fails on the assertion that names the field.
    /// </summary>
    private sealed class Node(object? value)
    {
        private static readonly IDeserializer Yaml = new DeserializerBuilder().Build();

        public bool Exists => value is not null;

        public string Text => value as string ?? "";

        public Node this[string key] =>
            new(value is IDictionary<object, object?> map && map.TryGetValue(key, out var child) ? child : null);

        public IEnumerable<Node> Items => value is IList<object?> list ? list.Select(i => new Node(i)) : [];

        public IEnumerable<KeyValuePair<string, Node>> Entries => value is IDictionary<object, object?> map
            ? map.Select(e => new KeyValuePair<string, Node>((string)e.Key, new Node(e.Value)))
            : [];

        public static IReadOnlyList<Node> Parse(string yaml)
        {
            var parser = new Parser(new StringReader(yaml));
            parser.Consume<StreamStart>();
            var documents = new List<Node>();
            while (parser.Accept<DocumentStart>(out _))
            {
                documents.Add(new Node(Yaml.Deserialize<object?>(parser)));
            }

            return documents;
        }
    }
}

/// <summary>When a silo turns Orleans' Kubernetes hosting on, and what it then advertises and listens on.</summary>
public sealed class KubernetesHostingTests
{
    private const string Database = "Host=127.0.0.1;Port=1;Username=none;Database=none";

    [Theory]
    [InlineData(null, null, Database, false)]
    [InlineData(null, "10.96.0.1", Database, true)]
    [InlineData(null, "10.96.0.1", null, false)]
    [InlineData(null, "", Database, false)]
    [InlineData("false", "10.96.0.1", Database, false)]
    [InlineData("true", null, Database, true)]
    [InlineData("false", null, null, false)]
    public void Kubernetes_hosting_is_on_in_a_pod_with_a_database_or_when_asked(string? setting, string? serviceHost, string? database, bool expected)
    {
        var configuration = Configuration(("Orleans:Kubernetes", setting), ("KUBERNETES_SERVICE_HOST", serviceHost), ("ConnectionStrings:Oms", database));
        Assert.Equal(expected, OmsHosting.Kubernetes(configuration));
    }

    [Fact]
    public void Asking_for_Kubernetes_hosting_without_a_database_is_refused_rather_than_ignored()
    {
        var error = Assert.Throws<InvalidOperationException>(() => OmsHosting.Kubernetes(Configuration(("Orleans:Kubernetes", "true"))));
        Assert.Contains("ConnectionStrings:Oms", error.Message);
    }

    [Fact]
    public void In_a_pod_the_silo_advertises_the_pod_IP_and_listens_on_it_alone()
    {
        var options = Endpoints(("KUBERNETES_SERVICE_HOST", "10.96.0.1"), ("POD_IP", "10.244.1.7"));
        var pod = IPAddress.Parse("10.244.1.7");
        Assert.Equal(pod, options.AdvertisedIPAddress);
        Assert.Equal(new IPEndPoint(pod, 11111), options.SiloListeningEndpoint);
        Assert.Equal(new IPEndPoint(pod, 30000), options.GatewayListeningEndpoint);
    }

    [Fact]
    public void An_explicit_address_or_listening_address_still_wins_in_a_pod()
    {
        var options = Endpoints(("KUBERNETES_SERVICE_HOST", "10.96.0.1"), ("POD_IP", "10.244.1.7"),
            ("Orleans:AdvertisedIPAddress", "10.0.0.5"), ("Orleans:ListenAddress", "0.0.0.0"));
        Assert.Equal(IPAddress.Parse("10.0.0.5"), options.AdvertisedIPAddress);
        Assert.Equal(new IPEndPoint(IPAddress.Any, 11111), options.SiloListeningEndpoint);
    }

    [Fact]
    public void Outside_Kubernetes_a_POD_IP_in_the_environment_changes_nothing()
    {
        // 192.0.2.0/24 is documentation-only, so it cannot be this machine's own first address.
        var options = Endpoints(("POD_IP", "192.0.2.10"), ("Orleans:Kubernetes", "false"), ("KUBERNETES_SERVICE_HOST", "10.96.0.1"));
        Assert.NotEqual(IPAddress.Parse("192.0.2.10"), options.AdvertisedIPAddress);
        Assert.Null(options.SiloListeningEndpoint);
        Assert.Null(options.GatewayListeningEndpoint);
    }

    private static IConfiguration Configuration(params (string Key, string? Value)[] settings) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Where(s => s.Value is not null).Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();

    /// <summary>The endpoints of a silo built as src/Silo/Program.cs builds one; nothing connects, as the host is only built.</summary>
    private static EndpointOptions Endpoints(params (string Key, string Value)[] settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Oms"] = Database,
            ["Orleans:SiloPort"] = "11111",
            ["Orleans:GatewayPort"] = "30000",
        }.Concat(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))));
        var configuration = builder.Configuration;
        builder.UseOrleans(silo =>
        {
            silo.UseOmsClustering(configuration);
            if (OmsHosting.Kubernetes(configuration))
            {
                silo.UseKubernetesHosting(o => o.Configure(k => k.DeleteDefunctSiloPods = true));
            }
        });
        using var host = builder.Build();
        return host.Services.GetRequiredService<IOptions<EndpointOptions>>().Value;
    }
}
