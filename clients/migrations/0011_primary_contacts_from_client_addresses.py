# Each client's email and phone become its primary contact, named after the client. The client keeps its
# email and phone as the primary contact's copy (Contact.save writes it), so reading them stays one row.
# Backwards, the primary contacts' addresses are written onto their clients and the primary contacts removed.

from django.db import migrations
from django.db.models import Q

BATCH = 2000


def primary_contacts_from_clients(apps, schema_editor):
    Client = apps.get_model("clients", "Client")
    Contact = apps.get_model("clients", "Contact")
    with_address = (
        Client.objects.filter(~Q(email="") | ~Q(phone=""))
        .exclude(contacts__is_primary=True)
        .values_list("pk", "owner_id", "name", "email", "phone", "created_at")
        .order_by("pk")
    )
    batch = []
    for pk, owner_id, name, email, phone, created_at in with_address.iterator(chunk_size=BATCH):
        batch.append(
            Contact(
                client_id=pk,
                owner_id=owner_id,
                name=name,
                email=email,
                phone=phone,
                is_primary=True,
                created_at=created_at,
            )
        )
        if len(batch) == BATCH:
            Contact.objects.bulk_create(batch)
            batch = []
    Contact.objects.bulk_create(batch)


def client_addresses_from_primary_contacts(apps, schema_editor):
    Client = apps.get_model("clients", "Client")
    Contact = apps.get_model("clients", "Contact")
    primaries = Contact.objects.filter(is_primary=True).values_list("client_id", "email", "phone")
    for client_id, email, phone in primaries.iterator(chunk_size=BATCH):
        Client.objects.filter(pk=client_id).update(email=email, phone=phone)
    Contact.objects.filter(is_primary=True).delete()


class Migration(migrations.Migration):
    dependencies = [("clients", "0010_contacts")]

    operations = [migrations.RunPython(primary_contacts_from_clients, client_addresses_from_primary_contacts)]
