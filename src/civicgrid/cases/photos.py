"""Case photos: checked and converted by ``civicgrid.lib.photos``; the upload
itself is kept for staff under the type read from its content."""

from civicgrid.cases.models import Photo
from civicgrid.lib.photos import PreparedPhoto, store


def attach(*, case, event, prepared: list[PreparedPhoto], user) -> list[Photo]:
    photos = []
    for item in prepared:
        photo = Photo(case=case, event=event, uploaded_by=user if user and user.pk else None)
        store(
            item,
            stem=photo.key.hex,
            image=photo.image,
            thumbnail=photo.thumbnail,
            original=photo.original,
        )
        photo.save()
        photos.append(photo)
    return photos
