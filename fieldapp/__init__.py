"""The inspector and dispatcher tablet web app: pages, static JS, service worker and sync API."""
