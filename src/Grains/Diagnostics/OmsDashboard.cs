using Orleans.Dashboard;

namespace Oms.Grains.Diagnostics;

/// <summary>The Orleans Dashboard as this project runs it, on silos and API nodes alike.</summary>
public static class OmsDashboard
{
    public const string Path = "/dashboard";

    /// <summary>
    /// No live log stream: the dashboard would copy every log line of the process into its own buffer, and a
    /// browser tab would then read order and customer details that the operator's log pipeline redacts and retains
    /// under its own rules.
    /// </summary>
    public static void Configure(DashboardOptions options) => options.HideTrace = true;
}
