// Service worker for the family page: shows a web push from the hub and opens its link when tapped.

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = { body: event.data ? event.data.text() : "" };
  }
  event.waitUntil(
    self.registration.showNotification(data.title || "Telecare", {
      body: data.body || "",
      lang: data.lang || "",
      tag: data.tag || "",
      renotify: false,
      icon: "/static/favicon.svg",
      data: { url: data.url || "/family/" },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = (event.notification.data && event.notification.data.url) || "/family/";
  event.waitUntil(self.clients.openWindow(url));
});
