namespace Oms.LoadTest.Engine;

/// <param name="Item">Which of the scenario's stock positions the request targets, so the answer can be credited
/// to it when counting oversell; -1 when the scenario has no such notion.</param>
internal readonly record struct PlannedRequest(HttpRequestMessage Message, int Item = -1);
